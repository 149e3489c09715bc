package io.berth.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code WWW-Authenticate} challenge (RFC 7235): a scheme ({@code basic} or {@code bearer}, lower case) and its
 * parameters, such as a token service's {@code realm}, {@code service} and {@code scope}.
 */
record Challenge(String scheme, Map<String, String> parameters) {
    Challenge {
        parameters = Map.copyOf(parameters);
    }

    String parameter(String name) {
        return parameters.get(name);
    }

    /** The first challenge with a scheme this client speaks (bearer before basic), or null. */
    static Challenge pick(List<String> headers) {
        Challenge basic = null;
        for (String header : headers) {
            for (Challenge challenge : parse(header)) {
                if (challenge.scheme.equals("bearer") && challenge.parameter("realm") != null) {
                    return challenge;
                }
                if (challenge.scheme.equals("basic") && basic == null) {
                    basic = challenge;
                }
            }
        }
        return basic;
    }

    /** Parses one header, which may hold several challenges: {@code Bearer realm="…",scope="a,b", Basic realm="…"}. */
    static List<Challenge> parse(String header) {
        List<Challenge> challenges = new java.util.ArrayList<>();
        int i = 0;
        int n = header.length();
        String scheme = null;
        Map<String, String> parameters = new LinkedHashMap<>();
        while (i < n) {
            while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && header.charAt(i) != ' ' && header.charAt(i) != '=' && header.charAt(i) != ',') {
                i++;
            }
            String token = header.substring(start, i);
            if (token.isEmpty()) {
                break;
            }
            int j = i;
            while (j < n && header.charAt(j) == ' ') {
                j++;
            }
            if (j < n && header.charAt(j) == '=' && scheme != null) {
                i = j + 1;
                while (i < n && header.charAt(i) == ' ') {
                    i++;
                }
                StringBuilder value = new StringBuilder();
                if (i < n && header.charAt(i) == '"') {
                    i++;
                    while (i < n && header.charAt(i) != '"') {
                        if (header.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        value.append(header.charAt(i++));
                    }
                    i++;
                } else {
                    while (i < n && header.charAt(i) != ',' && header.charAt(i) != ' ') {
                        value.append(header.charAt(i++));
                    }
                }
                parameters.put(token.toLowerCase(Locale.ROOT), value.toString());
            } else {
                if (scheme != null) {
                    challenges.add(new Challenge(scheme, parameters));
                }
                scheme = token.toLowerCase(Locale.ROOT);
                parameters = new LinkedHashMap<>();
            }
        }
        if (scheme != null) {
            challenges.add(new Challenge(scheme, parameters));
        }
        return challenges;
    }
}
