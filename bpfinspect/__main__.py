from bpfinspect.entry import main

main()
