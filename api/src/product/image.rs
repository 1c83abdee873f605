//! Images: pictures hosted elsewhere (a CDN or an object store), which the
//! API only points at. A product has any number, in order (the first is its
//! `featuredImage`); a collection has at most one. Uploading is not the
//! API's business.

use async_graphql::{ID, InputObject, Object};
use entity::image;
use sea_orm::ActiveValue::Set;

use crate::error::UserError;
use crate::input::FieldErrors;

/// Longest accepted image URL, in bytes.
pub const MAX_URL_CHARS: usize = 2_048;
/// Longest accepted alt text, in characters.
pub const MAX_ALT_TEXT_CHARS: usize = 512;
/// Most images a product may have.
pub const MAX_IMAGES: usize = 50;

/// A picture, hosted elsewhere, with what a page needs to show it well.
#[derive(Debug, Clone)]
pub struct Image(pub image::Model);

/// A picture, hosted elsewhere (a CDN or an object store), with what a
/// page needs to show it well.
#[Object(cache_control(max_age = 60))]
impl Image {
    /// The image's ID (globally unique; not a `Node`).
    async fn id(&self) -> ID {
        crate::ids::encode_image(self.0.id)
    }

    /// Where the image is: an absolute `https://` or `http://` URL.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// What the image shows, for screen readers and when it cannot load.
    async fn alt_text(&self) -> Option<&str> {
        self.0.alt_text.as_deref()
    }

    /// Its width in pixels, when known.
    async fn width(&self) -> Option<i32> {
        self.0.width
    }

    /// Its height in pixels, when known.
    async fn height(&self) -> Option<i32> {
        self.0.height
    }
}

/// An image to show: a URL of a file hosted elsewhere.
#[derive(Debug, Clone, InputObject)]
pub struct ImageInput {
    /// An absolute `https://` or `http://` URL, at most 2,048 characters.
    pub url: String,
    /// What the image shows, at most 512 characters.
    pub alt_text: Option<String>,
    /// Width in pixels, 1 or more, when known.
    pub width: Option<i32>,
    /// Height in pixels, 1 or more, when known.
    pub height: Option<i32>,
}

/// An image's fields, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImage {
    url: String,
    alt_text: Option<String>,
    width: Option<i32>,
    height: Option<i32>,
}

impl NewImage {
    /// Every bad field of `input` at once, under `field`.
    pub fn parse(input: &ImageInput, field: &[&str]) -> Result<NewImage, Vec<UserError>> {
        let mut errors = FieldErrors::default();
        let at = |name: &str| {
            let mut path: Vec<&str> = field.to_vec();
            path.push(name);
            path.iter().map(|part| part.to_string()).collect::<Vec<_>>()
        };
        let url = errors.check(parse_url(&input.url, &at("url")));
        let alt_text = errors.check(parse_alt_text(input.alt_text.as_deref(), &at("altText")));
        let width = errors.check(parse_size(input.width, &at("width"), "Width"));
        let height = errors.check(parse_size(input.height, &at("height"), "Height"));
        match (url, alt_text, width, height) {
            (Some(url), Some(alt_text), Some(width), Some(height)) => Ok(NewImage {
                url,
                alt_text,
                width,
                height,
            }),
            _ => Err(errors.into_errors()),
        }
    }

    /// An image of just a URL (a variant's or a collection's `imageUrl`).
    pub fn from_url(url: &str, field: &[&str]) -> Result<NewImage, UserError> {
        Ok(NewImage {
            url: parse_url(url, field)?,
            alt_text: None,
            width: None,
            height: None,
        })
    }

    /// Where the image is.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The row of the `position`-th image of a product (or of a
    /// collection, `product_id` None).
    pub fn into_row(
        self,
        product_id: Option<i64>,
        collection_id: Option<i64>,
        position: i32,
    ) -> image::ActiveModel {
        image::ActiveModel {
            product_id: Set(product_id),
            collection_id: Set(collection_id),
            position: Set(position),
            url: Set(self.url),
            alt_text: Set(self.alt_text),
            width: Set(self.width),
            height: Set(self.height),
            ..Default::default()
        }
    }
}

/// Parses a list of images (at most [`MAX_IMAGES`]) at `field`.
pub fn parse_images(
    inputs: &[ImageInput],
    field: &[&str],
) -> Result<Vec<NewImage>, Vec<UserError>> {
    if inputs.len() > MAX_IMAGES {
        return Err(vec![UserError::new(
            field,
            crate::error::UserErrorCode::TooMany,
            format!("A product has at most {MAX_IMAGES} images"),
        )]);
    }
    let mut images = Vec::new();
    let mut errors = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let index = index.to_string();
        let mut at: Vec<&str> = field.to_vec();
        at.push(&index);
        match NewImage::parse(input, &at) {
            Ok(image) => images.push(image),
            Err(mut bad) => errors.append(&mut bad),
        }
    }
    if errors.is_empty() {
        Ok(images)
    } else {
        Err(errors)
    }
}

/// An absolute `http(s)` URL with a host, at most [`MAX_URL_CHARS`].
fn parse_url(text: &str, field: &[impl AsRef<str>]) -> Result<String, UserError> {
    let text = text.trim();
    let refused = || {
        UserError::invalid(
            field,
            format!(
                "Image URL must be an absolute https:// or http:// URL of at most {MAX_URL_CHARS} characters"
            ),
        )
    };
    if text.len() > MAX_URL_CHARS {
        return Err(refused());
    }
    let url = url::Url::parse(text).map_err(|_| refused())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(refused());
    }
    Ok(url.to_string())
}

fn parse_alt_text(
    text: Option<&str>,
    field: &[impl AsRef<str>],
) -> Result<Option<String>, UserError> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_ALT_TEXT_CHARS {
        return Err(UserError::invalid(
            field,
            format!("Alt text must be at most {MAX_ALT_TEXT_CHARS} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn parse_size(
    size: Option<i32>,
    field: &[impl AsRef<str>],
    what: &str,
) -> Result<Option<i32>, UserError> {
    match size {
        Some(pixels) if pixels <= 0 => Err(UserError::invalid(
            field,
            format!("{what} must be 1 pixel or more"),
        )),
        size => Ok(size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_http() {
        let ok = |url: &str| parse_url(url, &["url"]);
        assert_eq!(
            ok(" https://cdn.example.com/a b.jpg ").unwrap(),
            "https://cdn.example.com/a%20b.jpg"
        );
        assert!(ok("http://cdn.example.com/a.png").is_ok());
        for bad in [
            "/a.jpg",
            "cdn.example.com/a.jpg",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "ftp://x/a.jpg",
            "https://",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
        assert!(ok(&format!("https://x.com/{}", "a".repeat(2_048))).is_err());
    }
}
