#include "BcryptVerifier.h"
#include <crypt.h>
#include <cstring>
#include <memory>

namespace steadyproxy::auth {

namespace {

bool isBcryptBase64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

bool constantTimeEquals(const char* a, const std::string& b)
{
    std::size_t la = std::strlen(a);
    if (la != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < la; ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace

bool BcryptVerifier::isBcrypt(const std::string& hash)
{
    // $2b$12$ + 22 characters of salt + 31 of hash = 60
    if (hash.size() != 60) return false;
    if (hash[0] != '$' || hash[1] != '2' || (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$')
        return false;
    if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$') return false;
    int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < 4 || cost > MaxCost) return false;
    for (std::size_t i = 7; i < hash.size(); ++i)
        if (!isBcryptBase64(hash[i])) return false;
    return true;
}

bool BcryptVerifier::verify(const std::string& password, const std::string& hash)
{
    if (!isBcrypt(hash)) return false;
    // crypt_r stops at a NUL: "abc\0xyz" must not match the hash of "abc".
    if (password.find('\0') != std::string::npos) return false;

    auto data = std::make_unique<crypt_data>(); // ~32 KiB: keep it off the stack
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
    // libxcrypt returns NULL or a failure token starting with '*' on error.
    if (!out || out[0] == '*') return false;
    return constantTimeEquals(out, hash);
}

} // namespace steadyproxy::auth
