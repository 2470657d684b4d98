from callbridge.cli.main import main

main()
