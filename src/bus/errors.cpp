// Maps subu::Error kinds, system errors and store errors to D-Bus error names, and logs the failures that are ours.
#include "bus/errors.h"

#include <SQLiteCpp/Exception.h>

#include <system_error>

#include "core/errors.h"
#include "core/log.h"

namespace subu::bus {

void rethrow_as_bus_error(const char* method) {
    try {
        throw;
    } catch (const sdbus::Error&) {
        throw;
    } catch (const subu::Error& e) {
        const char* name = error_failed;
        switch (e.kind()) {
            case subu::Error::Kind::InvalidArgument: name = error_invalid; break;
            case subu::Error::Kind::NotFound: name = error_not_found; break;
            case subu::Error::Kind::Exists: name = error_exists; break;
            case subu::Error::Kind::AccessDenied: name = error_access_denied; break;
            case subu::Error::Kind::Busy: name = error_busy; break;
            case subu::Error::Kind::Failed:
                log::error(std::string(method) + " failed: " + e.what(), {{"SUBU_METHOD", method}});
                break;
        }
        throw sdbus::Error(name, e.what());
    } catch (const SQLite::Exception& e) {
        log::error(std::string(method) + " failed in the state store: " + e.what(), {{"SUBU_METHOD", method}});
        throw sdbus::Error(error_failed, std::string("The state store failed: ") + e.what());
    } catch (const std::system_error& e) {
        log::error(std::string(method) + " failed: " + e.what(),
                   {{"SUBU_METHOD", method}, {"ERRNO", std::to_string(e.code().value())}});
        throw sdbus::Error(error_failed, e.what());
    } catch (const std::exception& e) {
        log::error(std::string(method) + " failed: " + e.what(), {{"SUBU_METHOD", method}});
        throw sdbus::Error(error_failed, e.what());
    }
}

}  // namespace subu::bus
