"""Which network addresses scraping may reach: public ones, unless FACESITE_SCRAPE_ALLOW_PRIVATE.

A results page decides what the scraper fetches, so without this rule a page that lists
http://127.0.0.1:6379/ or http://169.254.169.254/ (a cloud's metadata service) has the
server fetch from inside its own network. Names are resolved and every address they
resolve to is checked; the caller then connects to a checked address, so a name cannot
resolve one way for the check and another way for the connection.
"""

import ipaddress
import socket

from facesite.errors import FacesiteError


class AddressRefused(FacesiteError):
    """A host that is, or resolves to, an address inside a private network."""


def address_is_public(address: str) -> bool:
    """True for a globally routable unicast address.

    Loopback, private (10/8, 172.16/12, 192.168/16), shared (100.64/10), link-local
    (169.254/16, where metadata services live, and fe80::/10), unique-local (fc00::/7),
    unspecified, reserved and multicast addresses are not; an IPv4 address written as
    IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses host resolves to, or AddressRefused if any of them is not public.

    socket.gaierror comes through for a name that does not resolve.
    """
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        if not address_is_public(address):
            shown = host if host == address else f"{host} ({address})"
            raise AddressRefused(
                f"{shown} is in a private network; scraping reaches public addresses only "
                "(FACESITE_SCRAPE_ALLOW_PRIVATE=1 allows private ones)"
            )
    return addresses
