package io.berth.server.http;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A path of the route table, such as {@code /v2/{name}/manifests/{reference}}: literal segments, parameters of one
 * segment each, and at most one {@code {name}}, a repository name, which spans one or more segments (repository
 * names contain slashes). The segments after the name are matched from the end of the path, so a name may contain
 * the words that follow it ({@code /v2/a/manifests/b/manifests/c} names {@code a/manifests/b}). Parameters are never
 * empty. Matching allocates the parameters' values once the whole path matched.
 */
final class PathPattern {
    static final String NAME = "name";

    private final String text;
    /** Segments before the name (all of them when there is none): the literal ones, null for a parameter. */
    private final String[] head;
    /** Segments after the name, as {@code head}; null when the pattern has no name. */
    private final String[] tail;
    private final List<String> parameters;

    private PathPattern(String text, String[] head, String[] tail, List<String> parameters) {
        this.text = text;
        this.head = head;
        this.tail = tail;
        this.parameters = parameters;
    }

    static PathPattern of(String text) {
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException("a path pattern starts with /: " + text);
        }
        String[] segments = text.substring(1).split("/", -1);
        int name = Arrays.asList(segments).indexOf("{" + NAME + "}");
        List<String> parameters = new ArrayList<>();
        for (String segment : segments) {
            if (parameter(segment) != null) {
                parameters.add(parameter(segment));
            }
        }
        if (parameters.stream().distinct().count() != parameters.size()) {
            throw new IllegalArgumentException("a parameter appears twice in " + text);
        }
        String[] literals = Arrays.stream(segments).map(segment -> parameter(segment) == null ? segment : null)
                .toArray(String[]::new);
        return name < 0 ? new PathPattern(text, literals, null, List.copyOf(parameters))
                : new PathPattern(text, Arrays.copyOfRange(literals, 0, name),
                        Arrays.copyOfRange(literals, name + 1, segments.length), List.copyOf(parameters));
    }

    /** The pattern as written. */
    String text() {
        return text;
    }

    /** The parameters' names, in the order they appear. */
    List<String> parameters() {
        return parameters;
    }

    /** The values of the parameters (in {@link #parameters()} order) when {@code path} matches; null when not. */
    String[] match(String path) {
        if (!path.startsWith("/")) {
            return null;
        }
        // Where each parameter's value starts and ends in the path: the strings are made once all of it matched.
        int[] bounds = new int[2 * parameters.size()];
        int found = 0;
        int at = 1;
        for (int i = 0; i < head.length; i++) {
            boolean last = tail == null && i == head.length - 1;
            int end = last ? path.length() : path.indexOf('/', at);
            if (end < 0 || !matches(head[i], path, at, end)) {
                return null;
            }
            if (head[i] == null) {
                bounds[2 * found] = at;
                bounds[2 * found++ + 1] = end;
            }
            at = end + 1;
        }
        if (tail == null) {
            return at == path.length() + 1 ? values(path, bounds) : null;
        }
        int end = path.length();
        int next = parameters.size();
        for (int i = tail.length - 1; i >= 0; i--) {
            int start = path.lastIndexOf('/', end - 1) + 1;
            if (start <= at || !matches(tail[i], path, start, end)) {
                return null;
            }
            if (tail[i] == null) {
                next--;
                bounds[2 * next] = start;
                bounds[2 * next + 1] = end;
            }
            end = start - 1;
        }
        if (end <= at) {
            return null; // an empty name
        }
        bounds[2 * found] = at; // the name, between the head and the tail
        bounds[2 * found + 1] = end;
        return values(path, bounds);
    }

    private static String[] values(String path, int[] bounds) {
        String[] values = new String[bounds.length / 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = path.substring(bounds[2 * i], bounds[2 * i + 1]);
        }
        return values;
    }

    /** Whether the path's segment [start, end) matches the pattern's: a parameter (null) takes any non-empty one. */
    private static boolean matches(String segment, String path, int start, int end) {
        if (segment == null) {
            int slash = path.indexOf('/', start);
            return end > start && (slash < 0 || slash >= end);
        }
        return end - start == segment.length() && path.startsWith(segment, start);
    }

    /** The parameter's name when the segment is one ({@code {reference}}), else null. */
    private static String parameter(String segment) {
        return segment.length() > 2 && segment.startsWith("{") && segment.endsWith("}")
                ? segment.substring(1, segment.length() - 1) : null;
    }

    @Override
    public String toString() {
        return text;
    }
}
