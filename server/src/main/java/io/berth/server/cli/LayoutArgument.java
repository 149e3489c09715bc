package io.berth.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An OCI image layout named on the command line as {@code PATH[:NAME]}, the way skopeo's {@code oci:} and oras's
 * {@code --oci-layout} read it: NAME is an {@code org.opencontainers.image.ref.name} in {@code index.json}. A path that
 * exists as written is taken whole, colon and all.
 *
 * @param name null when none was given
 */
record LayoutArgument(Path path, String name) {
    static LayoutArgument parse(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty layout path");
        }
        if (Files.exists(Path.of(text))) {
            return new LayoutArgument(Path.of(text), null);
        }
        int colon = text.lastIndexOf(':');
        if (colon > 0 && colon > text.lastIndexOf('/') && colon < text.length() - 1) {
            return new LayoutArgument(Path.of(text.substring(0, colon)), text.substring(colon + 1));
        }
        return new LayoutArgument(Path.of(text), null);
    }
}
