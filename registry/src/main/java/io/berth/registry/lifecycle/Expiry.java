package io.berth.registry.lifecycle;

import io.berth.registry.metadata.Image;

/** An image a rule expires, and why (for example "more than 3 images: 5th newest", "pushed 40 days ago"). */
public record Expiry(Image image, Rule rule, String reason) {
}
