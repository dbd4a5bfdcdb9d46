#include "harness/tls/ssl_ptr.hpp"

#include <openssl/err.h>

namespace fc {

std::string openssl_errors() {
    std::string text;
    const char* data = nullptr;
    int flags = 0;
    for (;;) {
        unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags);
        if (code == 0) {
            return text;
        }
        if (!text.empty()) {
            text += "; ";
        }
        const char* lib = ERR_lib_error_string(code);
        const char* reason = ERR_reason_error_string(code);
        text += lib != nullptr ? std::string(lib) + ": " : std::string();
        text += reason != nullptr ? reason : "error code " + std::to_string(ERR_GET_REASON(code));
        if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
            text += " (" + std::string(data) + ")";
        }
    }
}

std::string with_openssl_errors(const std::string& what) {
    std::string errors = openssl_errors();
    return errors.empty() ? what : what + ": " + errors;
}

}  // namespace fc
