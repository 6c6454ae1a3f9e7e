#pragma once
#include <cstddef>
#include <string>

namespace steadyproxy::auth {

/// The rules a new password must follow. Immutable after construction; thread-safe.
class PasswordPolicy
{
public:
    /// Longest password accepted, in bytes (bounds the work one hash request can cause).
    static constexpr std::size_t MaxBytes = 1024;

    /// `minCharacters` counts Unicode characters (UTF-8 code points), not bytes.
    explicit PasswordPolicy(std::size_t minCharacters = 10);

    /// Throws ValidationError (field "password") with a message a person can act on
    /// when `password` breaks a rule.
    void check(const std::string& password) const;

    /// The rules in one sentence, e.g. "at least 10 characters, at most 1024 bytes, ...".
    std::string describe() const;

    std::size_t minCharacters() const { return _minCharacters; }

private:
    std::size_t _minCharacters;
};

} // namespace steadyproxy::auth
