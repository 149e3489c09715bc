package io.berth.server.ui;

import io.berth.server.protocol.RegistryClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A visitor of the UI over plain HTTP: keeps the cookies it is given, sends forms, follows no redirect. */
final class Browser {
    private final String base;
    private final HttpClient http = RegistryClient.newHttpClient();
    final Map<String, String> cookies = new LinkedHashMap<>();

    Browser(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), headers);
    }

    /** A form as the page's own would send it: with the CSRF cookie's token unless the form names its own. */
    HttpResponse<String> post(String path, Map<String, String> fields, String... headers) {
        Map<String, String> form = new LinkedHashMap<>();
        if (cookies.containsKey("berth_csrf")) {
            form.put("csrf", cookies.get("berth_csrf"));
        }
        form.putAll(fields);
        form.values().removeIf(value -> value == null);
        String body = form.entrySet().stream().map(entry -> encode(entry.getKey()) + "=" + encode(entry.getValue()))
                .collect(Collectors.joining("&"));
        List<String> all = new ArrayList<>(List.of("Content-Type", "application/x-www-form-urlencoded"));
        all.addAll(List.of(headers));
        return send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body)),
                all.toArray(String[]::new));
    }

    private HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
        if (!cookies.isEmpty()) {
            request.header("Cookie", cookies.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue())
                    .collect(Collectors.joining("; ")));
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            for (String cookie : setCookies(response)) {
                String pair = cookie.split(";", 2)[0];
                String name = pair.substring(0, pair.indexOf('='));
                if (cookie.contains("Max-Age=0") || cookie.contains("Expires=Thu, 01 Jan 1970")) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, pair.substring(pair.indexOf('=') + 1));
                }
            }
            return response;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> setCookies(HttpResponse<?> response) {
        return response.headers().allValues("Set-Cookie");
    }

    /** The {@code Set-Cookie} of the cookie {@code name}; null when the answer sets none. */
    static String setCookie(HttpResponse<?> response, String name) {
        return setCookies(response).stream().filter(cookie -> cookie.startsWith(name + "=")).findFirst().orElse(null);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
