package io.berth.client;

import java.util.List;

/**
 * One page of a tag list or catalog.
 *
 * @param next the {@code last} value that asks for the next page; null on the last page
 */
public record Page(List<String> items, String next) {
    public Page {
        items = List.copyOf(items);
    }
}
