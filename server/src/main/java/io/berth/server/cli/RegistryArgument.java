package io.berth.server.cli;

/** A registry named on the command line: {@code HOST[:PORT]}, also accepted as a URL, as docker login takes it. */
final class RegistryArgument {
    private RegistryArgument() {
    }

    static String parse(String text) {
        String host = text.strip();
        for (String scheme : new String[]{"https://", "http://"}) {
            if (host.regionMatches(true, 0, scheme, 0, scheme.length())) {
                host = host.substring(scheme.length());
            }
        }
        int slash = host.indexOf('/');
        if (slash >= 0) {
            host = host.substring(0, slash);
        }
        if (host.isEmpty() || host.contains("@") || host.contains(" ")) {
            throw new IllegalArgumentException("not a registry: " + text + "; write HOST[:PORT]");
        }
        return host;
    }
}
