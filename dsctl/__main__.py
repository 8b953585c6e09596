from dsctl.cli import main

main()
