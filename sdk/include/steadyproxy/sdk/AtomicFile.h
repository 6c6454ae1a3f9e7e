#pragma once
#include "Errors.h"
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace steadyproxy {

/// Replaces `<directory>/<fileName>` so that a reader sees either the old or the new file,
/// never a partial one, and the new one survives a crash once commit() returns. Two steps,
/// so that the new content can be checked (e.g. `haproxy -c`) before it is installed:
/// write() puts it in `.<fileName>.tmp` and fsyncs it; commit() renames it over the target
/// and fsyncs the directory. The temporary is a dot-file ending in `.tmp`, which the file
/// watchers of Traefik (.yml/.yaml/.toml) and HAProxy's directory mode (.cfg) ignore.
/// Until commit() the target is untouched; the destructor removes a temporary that was not
/// committed. For the one-step case use writeAtomically().
///
/// Errors: throws steadyproxy::Error starting with `owner` (e.g. "router.haproxy"), naming
/// the path, the system's reason and errno; the previous file is then left in place.
/// Thread safety: none; one instance per write, one write at a time per target file.
class AtomicFile
{
public:
    /// `owner` prefixes every error message (the plugin id).
    AtomicFile(std::string directory, std::string fileName, std::string owner):
        _directory(std::move(directory)), _fileName(std::move(fileName)), _owner(std::move(owner))
    {
    }

    ~AtomicFile()
    {
        if (_written) ::unlink(temporaryPath().c_str());
    }

    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Creates `directory` if missing, writes `content` to the temporary and flushes it.
    void write(const std::string& content)
    {
        try
        {
            Poco::File(_directory).createDirectories();
        }
        catch (const Poco::Exception& e)
        {
            throw Error(_owner + ": cannot create the directory " + _directory + ": " + e.message() +
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

    /// Renames the temporary over the target and makes the rename durable. When only the
    /// directory flush fails, the new file is in place already and the Error says so.
    void commit()
    {
        if (!_written) throw Error(_owner + ": internal error: commit() before write() for " + targetPath());
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
            throw Error(_owner + ": installed " + target + " but cannot flush the directory " + _directory + ": " +
                std::strerror(error) + " (errno " + std::to_string(error) + "); the file may be lost in a crash");
    }

    std::string targetPath() const { return _directory + "/" + _fileName; }
    std::string temporaryPath() const { return _directory + "/" + temporaryNameFor(_fileName); }

    /// The temporary name used for `fileName`.
    static std::string temporaryNameFor(const std::string& fileName) { return "." + fileName + ".tmp"; }

private:
    [[noreturn]] void fail(const std::string& what, const std::string& path, int error) const
    {
        throw Error(_owner + ": cannot " + what + " " + path + ": " + std::strerror(error) + " (errno " +
            std::to_string(error) + "; the previous configuration was left in place: check that the directory "
            "exists and steadyproxy may write to it)");
    }

    std::string _directory;
    std::string _fileName;
    std::string _owner;
    bool _written = false;
};

/// write() then commit() in one call: replaces `<directory>/<fileName>` with `content`
/// atomically and durably. Throws as AtomicFile does.
inline void writeAtomically(const std::string& directory, const std::string& fileName, const std::string& content,
                            const std::string& owner)
{
    AtomicFile file(directory, fileName, owner);
    file.write(content);
    file.commit();
}

/// Whether the file at `path` can be read and holds exactly `content` (a writer compares
/// before writeAtomically() to spare its reader a reload when nothing changed). A missing
/// or unreadable file gives false. Never throws except std::bad_alloc.
inline bool fileHolds(const std::string& path, const std::string& content)
{
    try
    {
        Poco::FileInputStream in(path);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        return text == content;
    }
    catch (...)
    {
        return false;
    }
}

} // namespace steadyproxy
