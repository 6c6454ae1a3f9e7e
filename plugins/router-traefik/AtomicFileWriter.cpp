#include "AtomicFileWriter.h"
#include <steadyproxy/sdk/Errors.h>
#include <Poco/File.h>
#include <Poco/Exception.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace steadyproxy::router {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int error)
{
    throw Error("router.traefik: cannot " + what + " " + path + ": " + std::strerror(error) +
        " (the previous configuration was left in place; check that the directory exists and steadyproxy may write to it)");
}

/// Closes the descriptor and removes the temporary file unless released.
class TemporaryFile
{
public:
    TemporaryFile(int fd, std::string path): _fd(fd), _path(std::move(path)) {}
    ~TemporaryFile()
    {
        if (_fd >= 0) ::close(_fd);
        if (!_path.empty()) ::unlink(_path.c_str());
    }
    int fd() const { return _fd; }
    /// Closes the descriptor, reporting the error of close() (delayed write errors).
    int close()
    {
        int rc = ::close(_fd);
        _fd = -1;
        return rc;
    }
    void keep() { _path.clear(); }

private:
    int _fd;
    std::string _path;
};

} // namespace

std::string temporaryNameFor(const std::string& fileName)
{
    return "." + fileName + ".tmp";
}

void writeFileAtomically(const std::string& directory, const std::string& fileName, const std::string& content)
{
    const std::string target = directory + "/" + fileName;
    const std::string temporary = directory + "/" + temporaryNameFor(fileName);
    try
    {
        Poco::File(directory).createDirectories();
    }
    catch (const Poco::Exception& e)
    {
        throw Error("router.traefik: cannot create the directory " + directory + ": " + e.message() +
            " (the previous configuration was left in place)");
    }

    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) fail("create the temporary file", temporary, errno);
    TemporaryFile file(fd, temporary);

    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0)
    {
        ssize_t n = ::write(file.fd(), data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write", temporary, errno);
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(file.fd()) != 0) fail("flush", temporary, errno);
    if (file.close() != 0) fail("close", temporary, errno);
    if (::rename(temporary.c_str(), target.c_str()) != 0) fail("replace", target, errno);
    file.keep();

    // Make the rename itself durable.
    int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0) fail("open the directory", directory, errno);
    int rc = ::fsync(dirFd);
    int error = errno;
    ::close(dirFd);
    if (rc != 0 && error != EINVAL) fail("flush the directory", directory, error);
}

} // namespace steadyproxy::router
