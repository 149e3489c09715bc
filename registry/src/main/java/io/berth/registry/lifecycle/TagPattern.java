package io.berth.registry.lifecycle;

/**
 * A tag pattern of {@code tagPatternList}: {@code *} matches any run of characters (also none), everything else
 * itself. ECR allows at most four wildcards in a pattern, which also bounds the matching work.
 */
record TagPattern(String pattern) {
    static final int MAX_WILDCARDS = 4;

    boolean matches(String tag) {
        return matches(0, tag, 0);
    }

    private boolean matches(int p, String tag, int t) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                for (int end = t; end <= tag.length(); end++) {
                    if (matches(p + 1, tag, end)) {
                        return true;
                    }
                }
                return false;
            }
            if (t >= tag.length() || tag.charAt(t) != c) {
                return false;
            }
            p++;
            t++;
        }
        return t == tag.length();
    }

    static int wildcards(String pattern) {
        return (int) pattern.chars().filter(c -> c == '*').count();
    }
}
