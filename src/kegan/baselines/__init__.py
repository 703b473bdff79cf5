"""Generators behind one fit/sample interface: the paper's baselines, DoppelGANger and KE-GAN variants."""
