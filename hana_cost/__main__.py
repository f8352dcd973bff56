from hana_cost.cli import main

main()
