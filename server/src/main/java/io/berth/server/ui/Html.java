package io.berth.server.ui;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Markup that is safe to send: built from templates whose values are escaped unless they are markup themselves.
 * Everything a page shows that came from a client (repository names, tags, annotations, labels, media types) goes
 * in as a value, so a {@code <script>} in an annotation is shown as text, never run.
 */
public final class Html {
    public static final Html EMPTY = new Html("");

    private final String markup;

    private Html(String markup) {
        this.markup = markup;
    }

    /**
     * The template with each {@code {}} replaced by the next value: markup as it is, anything else as escaped text
     * ({@code null} as nothing). Templates are the program's own text, never a client's.
     */
    public static Html of(String template, Object... values) {
        StringBuilder out = new StringBuilder(template.length() + 16 * values.length);
        int from = 0;
        for (Object value : values) {
            int at = template.indexOf("{}", from);
            if (at < 0) {
                throw new IllegalArgumentException("more values than places in: " + template);
            }
            out.append(template, from, at);
            append(out, value);
            from = at + 2;
        }
        if (template.indexOf("{}", from) >= 0) {
            throw new IllegalArgumentException("fewer values than places in: " + template);
        }
        return new Html(out.append(template, from, template.length()).toString());
    }

    /** Text, escaped. */
    public static Html text(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value);
        return new Html(out.toString());
    }

    /** The markup of each item, one after the other. */
    public static <T> Html each(Iterable<T> items, Function<? super T, Html> markup) {
        StringBuilder out = new StringBuilder();
        for (T item : items) {
            out.append(markup.apply(item).markup);
        }
        return new Html(out.toString());
    }

    /** This markup when {@code condition} holds, else nothing. */
    public static Html when(boolean condition, Html markup) {
        return condition ? markup : EMPTY;
    }

    /** A value for a URL's query or a path segment, percent-encoded (escaped again when put in a template). */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void append(StringBuilder out, Object value) {
        if (value instanceof Html html) {
            out.append(html.markup);
            return;
        }
        if (value == null) {
            return;
        }
        String text = value.toString();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
    }

    @Override
    public String toString() {
        return markup;
    }
}
