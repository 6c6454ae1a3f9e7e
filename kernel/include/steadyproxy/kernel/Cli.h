#pragma once
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace steadyproxy::kernel {

class Kernel;

/// A kernel from the configuration file, or from the embedded defaults when `configPath`
/// is empty. Throws ConfigError/Error with file, line and key.
std::unique_ptr<Kernel> makeKernel(const std::string& configPath);

/// `steadyproxy serve`: runs until SIGTERM/SIGINT (then drains and exits 0), reloads the
/// configuration on SIGHUP and reopens logs on SIGUSR1. Returns the exit code.
int serve(const std::string& configPath);

/// The command line: `steadyproxy [--config FILE] <command> [arguments]`.
/// Every command and subcommand explains itself with --help. Returns the process exit code
/// (0 success, 1 failure, 2 usage error); messages go to `out` and `err`.
int runCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

/// Sets up the application log (level, text or JSON lines, standard error or `file`).
/// Safe to call again (hot reload).
void configureLogging(const std::string& level, const std::string& format, const std::string& file = "");
/// Reopens the log file after log rotation (SIGUSR1); a no-op for standard error.
void reopenLogFile();

} // namespace steadyproxy::kernel
