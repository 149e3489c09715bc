package io.berth.server.cli;

import java.util.List;
import java.util.Objects;

/**
 * A platform asked for with {@code --platform os/architecture[/variant]}. Without a variant it matches any variant
 * (the first such entry wins), as docker and oras read it.
 */
record PlatformChoice(String os, String architecture, String variant) {
    static PlatformChoice parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || List.of(parts).contains("")) {
            throw new IllegalArgumentException("not a platform: " + text + "; write OS/ARCHITECTURE[/VARIANT], "
                    + "such as linux/amd64 or linux/arm64/v8");
        }
        return new PlatformChoice(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /** Whether an index entry's platform ({@code os/architecture[/variant]}, null for none) is this one. */
    boolean matches(String platform) {
        if (platform == null) {
            return false;
        }
        PlatformChoice other = parse(platform);
        return os.equals(other.os) && architecture.equals(other.architecture)
                && (variant == null || Objects.equals(variant, other.variant));
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
