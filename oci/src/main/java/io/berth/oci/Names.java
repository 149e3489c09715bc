package io.berth.oci;

import java.util.regex.Pattern;

/** The distribution spec's grammar for repository names and tags. */
public final class Names {
    /** Longest repository name accepted; with a host name in front it stays within common 255-character limits. */
    public static final int MAX_REPOSITORY_LENGTH = 255;

    private static final Pattern REPOSITORY = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    private Names() {
    }

    public static boolean isValidRepository(String name) {
        return name != null && name.length() <= MAX_REPOSITORY_LENGTH && REPOSITORY.matcher(name).matches();
    }

    public static boolean isValidTag(String tag) {
        return tag != null && TAG.matcher(tag).matches();
    }
}
