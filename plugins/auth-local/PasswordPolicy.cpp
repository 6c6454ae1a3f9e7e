#include "PasswordPolicy.h"
#include <steadyproxy/sdk/Errors.h>
#include <Poco/TextIterator.h>
#include <Poco/UTF8Encoding.h>
#include <Poco/Unicode.h>

namespace steadyproxy::auth {

PasswordPolicy::PasswordPolicy(std::size_t minCharacters): _minCharacters(minCharacters)
{
}

void PasswordPolicy::check(const std::string& password) const
{
    if (password.size() > MaxBytes)
        throw ValidationError("password", "the password is too long (" + std::to_string(password.size()) +
            " bytes): use at most " + std::to_string(MaxBytes) + " bytes");
    if (password.find('\0') != std::string::npos)
        throw ValidationError("password", "the password contains a NUL character: remove it");

    Poco::UTF8Encoding utf8;
    std::size_t characters = 0;
    bool onlySpace = true;
    for (Poco::TextIterator it(password, utf8), end(password); it != end; ++it)
    {
        int ch = *it;
        if (ch < 0)
            throw ValidationError("password", "the password is not valid UTF-8 text: type it again");
        ++characters;
        // Unicode's space separators (Zs) do not include tab and line breaks.
        bool space = Poco::Unicode::isSpace(ch) || (ch >= 0x09 && ch <= 0x0D) || ch == 0x85;
        if (!space) onlySpace = false;
    }
    if (characters < _minCharacters)
        throw ValidationError("password", "the password is too short (" + std::to_string(characters) +
            " characters): use at least " + std::to_string(_minCharacters) + " characters");
    if (onlySpace)
        throw ValidationError("password", "the password is only whitespace: use letters, digits or symbols too");
}

std::string PasswordPolicy::describe() const
{
    return "at least " + std::to_string(_minCharacters) + " characters, at most " + std::to_string(MaxBytes) +
        " bytes, not only whitespace";
}

} // namespace steadyproxy::auth
