// The manager on the bus: /org/subu/Manager1, org.subu.Manager1 plus the ObjectManager.
#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include <map>
#include <memory>

#include "bus/callers.h"
#include "bus/exec_runner.h"
#include "bus/subu_object.h"
#include "bus/wg_object.h"
#include "service/services.h"
#include "service/subus.h"
#include "service/wireguards.h"
#include "subu/dbus/Manager1_adaptor.h"

namespace subu::bus {

class ManagerObject final
    : public sdbus::AdaptorInterfaces<org::subu::Manager1_adaptor, sdbus::ObjectManager_adaptor,
                                      sdbus::Properties_adaptor> {
public:
    ManagerObject(sdbus::IConnection& connection, store::Store& store, service::Subus& subus,
                  service::WireGuards& wgs, service::Services& services, SystemdUnits& systemd);
    ~ManagerObject();

    // Publishes an object for every ready subu (at start, after recovery).
    void publish_all();

    // Answers the Exec calls whose programs have ended (from the main loop).
    void settle() { execs_.settle(); }

private:
    std::tuple<std::string, std::string, sdbus::ObjectPath> MakeSubu(const std::vector<std::string>& path) override;
    void RemoveSubu(const std::string& subu) override;
    void RemoveSubuWithOptions(const std::string& subu, const std::map<std::string, sdbus::Variant>& options) override;
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint32_t, sdbus::ObjectPath>>
    ListSubus() override;
    sdbus::ObjectPath GetSubu(const std::string& subu) override;
    void SetNetwork(const std::string& subu, const std::string& state) override;
    void SetLoopback(const std::string& subu, const std::string& state) override;
    void changed(const store::SubuRow& row);

    void Exec(sdbus::Result<std::string, std::string, int32_t, int32_t>&& result, std::string subu,
              std::vector<std::string> argv, sdbus::UnixFd in, sdbus::UnixFd out, sdbus::UnixFd err,
              std::map<std::string, sdbus::Variant> options) override;
    uint32_t KillExec(const int32_t& signal) override;
    struct PendingExec;
    void launch(PendingExec& call, const auth::Caller& caller);

    void SetOption(const std::string& subu, const std::string& name, const std::string& value) override;
    void RemoveOption(const std::string& subu, const std::string& name) override;
    std::string GetOption(const std::string& subu, const std::string& name) override;
    std::map<std::string, std::string> ListOptions(const std::string& subu) override;
    void SetWireGuardPool(const std::string& cidr) override;
    std::tuple<std::string, sdbus::ObjectPath> MakeWireGuard(const std::string& endpoint) override;
    std::tuple<std::string, sdbus::ObjectPath, std::vector<std::string>> ImportWireGuard(
        const sdbus::UnixFd& config) override;
    void SetServerPublicKey(const std::string& wg, const std::string& key) override;
    void SetWireGuardState(const std::string& wg, const std::string& state) override;
    void RemoveWireGuard(const std::string& wg) override;
    std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> ListWireGuards() override;
    sdbus::ObjectPath GetWireGuard(const std::string& wg) override;
    void Attach(const std::string& subu, const std::string& wg) override;
    void Detach(const std::string& subu) override;
    void AttachService(const std::string& subu, const std::string& unit) override;
    void DetachService(const std::string& subu, const std::string& unit) override;
    std::vector<std::string> ListServices(const std::string& subu) override;
    std::string WireGuardPool() override;
    void publish_wg(const store::WgRow& row, bool announce);
    void changed_wg(const store::WgRow& row);
    std::string Version() override;
    std::string StateDatabase() override;
    uint32_t SchemaVersion() override;

    void remove(const std::string& subu, bool purge);
    void publish(const store::SubuRow& row, bool announce);

    sdbus::IConnection& connection_;
    store::Store& store_;
    service::Subus& subus_;
    service::WireGuards& wgs_;
    service::Services& services_;
    Callers callers_;
    ExecRunner execs_;
    std::map<std::uint32_t, std::unique_ptr<SubuObject>> objects_;
    std::map<std::uint32_t, std::unique_ptr<WgObject>> wg_objects_;
};

}  // namespace subu::bus
