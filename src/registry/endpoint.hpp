// How to reach a registry host: https or http, TLS verification, extra CA
// certificates and client certificates from certs.d directories.
//
// Rules:
//  - tls_verify explicitly true: https only, verified.
//  - tls_verify explicitly false, or the host is listed as insecure in the
//    config: https without verification, falling back to plain http when the
//    TLS handshake fails.
//  - a loopback host (localhost, 127.0.0.0/8, ::1), docker's rule: https
//    first (verified), plain http when the TLS handshake fails.
//  - anything else: https, verified.
// certs.d: DIR/HOST:PORT/ and DIR/HOST/ in each directory; *.crt files are
// CA certificates, NAME.cert + NAME.key a client certificate pair.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "registry/http.hpp"

namespace skiff {

// docker.io's API lives at registry-1.docker.io; every other host is itself.
std::string api_host(std::string_view registry);

// "host:5000" -> "host"; "[::1]:5000" -> "::1".
std::string host_without_port(std::string_view host_port);
bool is_loopback_host(std::string_view host_port);
// Listed in cfg.insecure as "host:port" or as "host" (any port).
bool is_insecure_registry(std::string_view host_port, const RegistryConfig& cfg);

// $XDG_CONFIG_HOME/containers/certs.d, /etc/containers/certs.d, /etc/docker/certs.d
std::vector<std::string> default_certs_dirs();

struct HostCerts {
    std::string ca_pem; // every *.crt, concatenated
    std::string client_cert;
    std::string client_key;
    std::vector<std::string> files; // what was used, for logs
};
// Throws Error for a client certificate without its key (or the reverse).
HostCerts load_host_certs(std::string_view host_port, const std::vector<std::string>& dirs);

struct EndpointPlan {
    bool http_fallback = false; // try http when the https handshake fails
    TlsSettings tls;
};
EndpointPlan plan_endpoint(std::string_view host_port, std::optional<bool> tls_verify, const RegistryConfig& cfg,
                           const std::vector<std::string>& certs_dirs);

} // namespace skiff
