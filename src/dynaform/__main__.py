from dynaform.cli.app import main

main()
