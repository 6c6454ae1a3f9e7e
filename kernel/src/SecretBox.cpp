#include <steadyproxy/kernel/SecretBox.h>
#include <steadyproxy/sdk/Errors.h>
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/RandomStream.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace steadyproxy::kernel {

namespace {

std::string base64Encode(const std::string& data, int options = 0)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, options);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return out.str();
}

/// False when `text` is not base64 (Poco throws DataFormatException, whose message,
/// "Bad data format", would tell the user nothing about which value was wrong).
bool base64Decode(const std::string& text, std::string& out)
{
    try
    {
        std::istringstream in(text);
        Poco::Base64Decoder decoder(in);
        out.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
        return true;
    }
    catch (const Poco::Exception&)
    {
        out.clear();
        return false;
    }
}

std::string toHex(const unsigned char* data, std::size_t n)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
    {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

} // namespace

std::string SecretBox::randomBytes(std::size_t bytes)
{
    std::string out(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&out[0]), static_cast<int>(bytes)) != 1)
        throw Error("the system could not provide random bytes");
    return out;
}

std::string SecretBox::randomToken(std::size_t bytes)
{
    std::string text = base64Encode(randomBytes(bytes), Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    return text;
}

std::string SecretBox::sha256Hex(const std::string& data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    return toHex(digest, length);
}

SecretBox::SecretBox(const std::string& rawKey): _key(rawKey)
{
    if (_key.size() != 32) throw Error("the master key must be 32 bytes");
}

SecretBox::SecretBox(const std::string& encodedKey, const std::string& keyFile)
{
    if (!encodedKey.empty())
    {
        if (!base64Decode(encodedKey, _key) || _key.size() != 32)
            throw Error("STEADYPROXY_MASTER_KEY must be 32 bytes in base64 (44 characters); make one with: "
                        "head -c32 /dev/urandom | base64");
        return;
    }
    Poco::File file(keyFile);
    if (!file.exists())
    {
        Poco::File(Poco::Path(keyFile).parent()).createDirectories();
        std::string key = randomBytes(32);
        int fd = ::open(keyFile.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) throw Error("cannot create the master key file " + keyFile + ": " + std::strerror(errno));
        std::string text = base64Encode(key) + "\n";
        bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) throw Error("cannot write the master key file " + keyFile);
    }
    struct stat st{};
    if (::stat(keyFile.c_str(), &st) != 0)
        throw Error("cannot read the master key file " + keyFile + ": " + std::strerror(errno));
    if (st.st_mode & 077)
        throw Error("the master key file " + keyFile + " is readable by others; run: chmod 600 " + keyFile);
    int fd = ::open(keyFile.c_str(), O_RDONLY);
    if (fd < 0) throw Error("cannot read the master key file " + keyFile + ": " + std::strerror(errno));
    char buffer[256];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    ::close(fd);
    std::string text(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (!base64Decode(text, _key) || _key.size() != 32)
        throw Error("the master key file " + keyFile + " does not hold a 32-byte base64 key");
}

std::string SecretBox::seal(const std::string& plaintext) const
{
    std::string nonce = randomBytes(12);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(plaintext.size() + 16, '\0');
    int length = 0, total = 0;
    auto* key = reinterpret_cast<const unsigned char*>(_key.data());
    auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, iv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(&out[0]), &length,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), static_cast<int>(plaintext.size())) != 1)
        throw Error("encryption failed");
    total = length;
    if (EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(&out[total]), &length) != 1)
        throw Error("encryption failed");
    total += length;
    unsigned char tag[16];
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) throw Error("encryption failed");
    out.resize(total);
    return "v1:" + base64Encode(nonce + out + std::string(reinterpret_cast<char*>(tag), 16));
}

std::string SecretBox::open(const std::string& sealed) const
{
    if (sealed.compare(0, 3, "v1:") != 0) throw Error("a stored secret is not in a known sealed format");
    std::string raw;
    if (!base64Decode(sealed.substr(3), raw)) throw Error("a stored secret is not valid base64 (the value was altered)");
    if (raw.size() < 28) throw Error("a stored secret is truncated");
    std::string nonce = raw.substr(0, 12);
    std::string tag = raw.substr(raw.size() - 16);
    std::string body = raw.substr(12, raw.size() - 28);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
    std::string out(body.size() + 16, '\0');
    int length = 0, total = 0;
    auto* key = reinterpret_cast<const unsigned char*>(_key.data());
    auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
    bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, iv) == 1 &&
              EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(&out[0]), &length,
                                reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size())) == 1;
    total = length;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, &tag[0]) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(&out[total]), &length) == 1;
    if (!ok)
        throw Error("a stored secret cannot be decrypted: the master key differs from the one it was sealed with, "
                    "or the value was altered");
    out.resize(total + length);
    return out;
}

std::string SecretBox::fingerprint(const std::string& secret) const
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), _key.data(), static_cast<int>(_key.size()),
         reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest, &length);
    return toHex(digest, length);
}


} // namespace steadyproxy::kernel
