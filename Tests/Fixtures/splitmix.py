"""SplitMix64 as revmux draws from it (Sources/RevmuxBundle/Conversion/Adapters.swift), so a
fixture script can regenerate exactly the values `--init-adapters` and the Swift tests make."""
import numpy as np


class SplitMix64:
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def uniform(self, shape, bound, offset=0.0):
        """U[-bound, bound) (+ offset) from the top 24 bits, every step in f32 as Swift does."""
        count = int(np.prod(shape))
        top = np.array([self.next() >> 40 for _ in range(count)], dtype=np.float32)
        bound = np.float32(bound)
        values = top / np.float32(1 << 24) * (np.float32(2) * bound) - bound
        if offset:
            values = values + np.float32(offset)
        return values.reshape(shape)
