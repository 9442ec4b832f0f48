#!/usr/bin/env python
from civicport.cli import main

if __name__ == "__main__":
    main()
