"""Effects turned into money: pure arithmetic that carries every interval through."""
