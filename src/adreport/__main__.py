from adreport.cli import main

main()
