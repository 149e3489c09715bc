package io.berth.server.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Where a request really comes from. Behind a reverse proxy every connection is the proxy's, so throttling failed
 * logins per address would lock everyone out at once; for connections from configured proxies (addresses or CIDR
 * ranges) the client is the last address in {@code X-Forwarded-For} that is not itself a trusted proxy, and
 * {@code X-Forwarded-Proto} / {@code X-Forwarded-Host} give the URL the client used. Headers from anyone else are
 * ignored, so a client cannot choose its own address.
 */
final class ClientOrigin {
    private record Range(byte[] network, int prefix) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int whole = prefix / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int mask = (0xff << (8 - prefix % 8)) & 0xff;
            return prefix % 8 == 0 || (address[whole] & mask) == (network[whole] & mask);
        }
    }

    static final ClientOrigin DIRECT = new ClientOrigin(List.of());
    /** Characters an address literal may have, checked before the JDK parses it: it must never look a name up. */
    private static final Pattern IPV4_LITERAL = Pattern.compile("[0-9.]+");
    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9a-fA-F:.%]+");

    private final List<Range> proxies;

    private ClientOrigin(List<Range> proxies) {
        this.proxies = proxies;
    }

    /** @param trustedProxies addresses ({@code 10.0.0.7}) or ranges ({@code 10.0.0.0/8}, {@code fd00::/8}) */
    static ClientOrigin trusting(List<String> trustedProxies) {
        List<Range> ranges = new ArrayList<>();
        for (String entry : trustedProxies) {
            String[] parts = entry.strip().split("/", 2);
            byte[] network = literal(parts[0]);
            if (network == null) {
                throw new IllegalArgumentException("trusted proxy '" + entry + "' is not an IP address or CIDR range");
            }
            int prefix = network.length * 8;
            if (parts.length == 2) {
                try {
                    prefix = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException("trusted proxy '" + entry + "' has an invalid prefix length");
                }
            }
            ranges.add(new Range(network, prefix));
        }
        return new ClientOrigin(List.copyOf(ranges));
    }

    /** The client's address: the peer, or what trusted proxies say the client was. */
    String address(Request request) {
        String peer = Request.getRemoteAddr(request);
        if (proxies.isEmpty() || !trusted(peer)) {
            return peer;
        }
        String forwarded = request.getHeaders().get(HttpHeader.X_FORWARDED_FOR);
        if (forwarded == null) {
            return peer;
        }
        String[] hops = forwarded.split(",");
        String client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].strip();
            if (literal(hop) == null) {
                break; // not an address: nothing further left can be believed
            }
            client = hop;
            if (!trusted(hop)) {
                break;
            }
        }
        return client;
    }

    /** {@code scheme://host[:port]} as the client addressed the registry. */
    String baseUrl(Request request) {
        var uri = request.getHttpURI();
        String scheme = uri.getScheme();
        String authority = uri.getAuthority();
        if (!proxies.isEmpty() && trusted(Request.getRemoteAddr(request))) {
            String proto = first(request.getHeaders().get(HttpHeader.X_FORWARDED_PROTO));
            String host = first(request.getHeaders().get(HttpHeader.X_FORWARDED_HOST));
            if (proto != null && (proto.equals("http") || proto.equals("https"))) {
                scheme = proto;
            }
            if (host != null && !host.isEmpty()) {
                authority = host;
            }
        }
        return scheme + "://" + authority;
    }

    private boolean trusted(String address) {
        byte[] bytes = literal(address);
        return bytes != null && proxies.stream().anyMatch(range -> range.contains(bytes));
    }

    private static String first(String header) {
        return header == null ? null : header.split(",", 2)[0].strip();
    }

    /** The bytes of an IPv4 or IPv6 literal, never a name lookup; null for anything else. */
    private static byte[] literal(String text) {
        String value = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (!(IPV6_LITERAL.matcher(value).matches() && value.indexOf(':') >= 0)
                && !IPV4_LITERAL.matcher(value).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(value).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
