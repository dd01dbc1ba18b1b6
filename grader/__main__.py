from grader.console import main

main()
