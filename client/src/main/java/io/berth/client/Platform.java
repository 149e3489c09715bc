package io.berth.client;

import java.util.Locale;

/**
 * A platform an image runs on, as users write it: {@code os/architecture[/variant]} ({@code linux/amd64},
 * {@code linux/arm64/v8}).
 *
 * @param variant null when not named
 */
public record Platform(String os, String architecture, String variant) {
    public Platform {
        if (os == null || os.isEmpty() || architecture == null || architecture.isEmpty()) {
            throw new IllegalArgumentException("a platform needs an os and an architecture");
        }
        if (variant != null && variant.isEmpty()) {
            variant = null;
        }
    }

    /** Parses {@code os/architecture[/variant]}. */
    public static Platform parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("a platform is os/architecture[/variant], not " + text);
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /**
     * Whether an index entry's platform is this one. A platform named without a variant matches every variant; one
     * named with a variant matches that variant, and also an entry that names none when the variant is the
     * architecture's default ({@code arm64} is {@code v8} unless it says otherwise, as containerd reads it).
     */
    public boolean matches(Platform entry) {
        if (!os.equals(entry.os) || !architecture.equals(entry.architecture)) {
            return false;
        }
        if (variant == null) {
            return true;
        }
        String entryVariant = entry.variant != null ? entry.variant : defaultVariant(entry.architecture);
        return variant.equals(entryVariant);
    }

    private static String defaultVariant(String architecture) {
        return architecture.equals("arm64") ? "v8" : null;
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
