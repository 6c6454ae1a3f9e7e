#include <steadyproxy/kernel/Cli.h>
#include <iostream>

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv, argv + argc);
    return steadyproxy::kernel::runCli(args, std::cin, std::cout, std::cerr);
}
