package io.berth.server.auth;

/**
 * A repository pattern: {@code *} matches within one path segment, {@code **} across segments, everything else
 * literally. {@code team/*} matches {@code team/app} but not {@code team/app/cache}; {@code team/**} matches both.
 */
public record RepositoryGlob(String pattern) {

    public RepositoryGlob {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("a repository pattern must not be empty");
        }
    }

    public boolean matches(String repository) {
        return matches(0, repository, 0);
    }

    private boolean matches(int p, String text, int t) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                boolean crossesSlashes = p + 1 < pattern.length() && pattern.charAt(p + 1) == '*';
                int next = crossesSlashes ? p + 2 : p + 1;
                for (int end = t; end <= text.length(); end++) {
                    if (matches(next, text, end)) {
                        return true;
                    }
                    if (end < text.length() && text.charAt(end) == '/' && !crossesSlashes) {
                        return false;
                    }
                }
                return false;
            }
            if (t >= text.length() || text.charAt(t) != c) {
                return false;
            }
            p++;
            t++;
        }
        return t == text.length();
    }
}
