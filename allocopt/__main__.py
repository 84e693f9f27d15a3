from allocopt_cli.main import main

main()
