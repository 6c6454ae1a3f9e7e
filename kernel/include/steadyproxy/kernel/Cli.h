#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace steadyproxy::kernel {

/// The command line: `steadyproxy [--config FILE] <command> [arguments]`.
/// Every command and subcommand explains itself with --help. Returns the process exit code
/// (0 success, 1 failure, 2 usage error); messages go to `out` and `err`.
int runCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

/// Sets up the application log (console, level and format) once options are known.
void configureLogging(const std::string& level, const std::string& format);

} // namespace steadyproxy::kernel
