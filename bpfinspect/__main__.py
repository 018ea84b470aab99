from bpfinspect.cli import main

main()
