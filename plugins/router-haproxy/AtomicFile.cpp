#include "AtomicFile.h"
#include <steadyproxy/sdk/Errors.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace steadyproxy::router::haproxy {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int error)
{
    throw Error("router.haproxy: cannot " + what + " " + path + ": " + std::strerror(error) + " (errno " +
        std::to_string(error) + "; the previous configuration was left in place: check that the directory exists "
        "and steadyproxy may write to it)");
}

} // namespace

AtomicFile::AtomicFile(std::string directory, std::string fileName):
    _directory(std::move(directory)), _fileName(std::move(fileName))
{
}

AtomicFile::~AtomicFile()
{
    if (_written) ::unlink(temporaryPath().c_str());
}

void AtomicFile::write(const std::string& content)
{
    try
    {
        Poco::File(_directory).createDirectories();
    }
    catch (const Poco::Exception& e)
    {
        throw Error("router.haproxy: cannot create the directory " + _directory + ": " + e.message() +
            " (the previous configuration was left in place)");
    }

    const std::string temporary = temporaryPath();
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) fail("create the temporary file", temporary, errno);
    _written = true; // from here on the destructor removes it

    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0)
    {
        ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
        {
            int error = errno;
            ::close(fd);
            fail("write", temporary, error);
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
    {
        int error = errno;
        ::close(fd);
        fail("flush", temporary, error);
    }
    // close() reports delayed write errors.
    if (::close(fd) != 0) fail("close", temporary, errno);
}

void AtomicFile::commit()
{
    if (!_written) throw Error("router.haproxy: internal error: commit() before write() for " + targetPath());
    const std::string target = targetPath();
    if (::rename(temporaryPath().c_str(), target.c_str()) != 0) fail("replace", target, errno);
    _written = false;

    int dirFd = ::open(_directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    // The new file is in place already; only its durability across a crash is in doubt.
    int error = 0;
    if (dirFd < 0)
        error = errno;
    else if (::fsync(dirFd) != 0 && errno != EINVAL)
        error = errno;
    if (dirFd >= 0) ::close(dirFd);
    if (error != 0)
        throw Error("router.haproxy: installed " + target + " but cannot flush the directory " + _directory + ": " +
            std::strerror(error) + " (errno " + std::to_string(error) + "); the file may be lost in a crash");
}

} // namespace steadyproxy::router::haproxy
