"""What replies, codes and keywords mean: data files plus pure lookups, no I/O."""
