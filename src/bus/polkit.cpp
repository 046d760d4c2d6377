// polkit's CheckAuthorization with the caller's bus name as subject; every failure is a denial.
#include "bus/polkit.h"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>

#include "core/log.h"

namespace subu::bus {
namespace {

constexpr std::uint32_t allow_user_interaction = 1;
// The manager serves one call at a time: a polkit that does not answer must
// not hold everyone else up for long. An interactive check waits for a person.
constexpr auto quick = std::chrono::seconds(5);
constexpr auto with_a_person = std::chrono::seconds(60);

}  // namespace

Polkit::Polkit(sdbus::IConnection& connection)
    : authority_(sdbus::createProxy(connection, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority")) {
    authority_->finishRegistration();
}

namespace {

using Subject = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
using Answer = sdbus::Struct<bool, bool, std::map<std::string, std::string>>;

Subject bus_name_subject(const std::string& sender) {
    return {"system-bus-name", std::map<std::string, sdbus::Variant>{{"name", sdbus::Variant(sender)}}};
}

bool decided(const sdbus::Error* error, const Answer& answer, const std::string& sender, const std::string& action) {
    if (error) {
        log::warning("polkit could not decide " + action + " for " + sender + ", so it is denied: " + error->getMessage(),
                     {{"SUBU_POLKIT_ACTION", action}, {"SUBU_BUS_NAME", sender}});
        return false;
    }
    const bool yes = answer.get<0>();
    log::info(std::string("polkit ") + (yes ? "grants " : "denies ") + action + " to " + sender,
              {{"SUBU_POLKIT_ACTION", action}, {"SUBU_BUS_NAME", sender}});
    return yes;
}

}  // namespace

bool Polkit::check(const std::string& sender, const std::string& action, bool interactive) {
    Answer answer;
    try {
        authority_->callMethod("CheckAuthorization")
            .onInterface("org.freedesktop.PolicyKit1.Authority")
            .withTimeout(interactive ? with_a_person : quick)
            .withArguments(bus_name_subject(sender), action, std::map<std::string, std::string>{},
                           interactive ? allow_user_interaction : 0u, std::string())
            .storeResultsTo(answer);
    } catch (const sdbus::Error& e) {
        return decided(&e, answer, sender, action);
    }
    return decided(nullptr, answer, sender, action);
}

void Polkit::check_async(const std::string& sender, const std::string& action, std::function<void(bool)> then) {
    authority_->callMethodAsync("CheckAuthorization")
        .onInterface("org.freedesktop.PolicyKit1.Authority")
        .withTimeout(quick)
        .withArguments(bus_name_subject(sender), action, std::map<std::string, std::string>{}, 0u, std::string())
        .uponReplyInvoke([sender, action, then](const sdbus::Error* error, Answer answer) {
            then(decided(error, answer, sender, action));
        });
}

}  // namespace subu::bus
