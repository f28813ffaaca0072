from w2c.cli import main

main()
