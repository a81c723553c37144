"""StreamField blocks that editors compose the company's pages from."""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock, ImageChooserBlock

# Rich text stays simple so that pages keep the site's typography.
RICH_TEXT_FEATURES = ["bold", "italic", "h3", "ol", "ul", "link", "document-link"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=120)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Section heading")), ("h3", _("Subheading"))],
        default="h2",
        label=_("Level"),
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "website/blocks/heading.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, max_length=250, label=_("Caption"))
    credit = blocks.CharBlock(required=False, max_length=120, label=_("Photo credit"))

    class Meta:
        icon = "image"
        label = _("Image")
        template = "website/blocks/captioned_image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    source = blocks.CharBlock(required=False, max_length=150, label=_("Source"))

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "website/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120, label=_("Heading"))
    text = blocks.TextBlock(required=False, label=_("Text"))
    button_label = blocks.CharBlock(max_length=60, label=_("Button label"))
    page = blocks.PageChooserBlock(required=False, label=_("Link to a page"))
    url = blocks.URLBlock(required=False, label=_("…or to an address"))

    class Meta:
        icon = "pick"
        label = _("Call to action")
        template = "website/blocks/call_to_action.html"

    def clean(self, value):
        value = super().clean(value)
        if bool(value["page"]) == bool(value["url"]):
            message = _("Choose either a page or an address for the button.")
            raise StructBlockValidationError(
                block_errors={"page": ErrorList([ValidationError(message)])}
            )
        return value


class PersonBlock(blocks.StructBlock):
    name = blocks.CharBlock(max_length=120, label=_("Name"))
    role = blocks.CharBlock(required=False, max_length=120, label=_("Role"))
    photo = ImageChooserBlock(required=False, label=_("Photo"))
    biography = blocks.RichTextBlock(
        required=False, features=["bold", "italic", "link"], label=_("Biography")
    )

    class Meta:
        icon = "user"
        label = _("Person")
        template = "website/blocks/person.html"


class CreditBlock(blocks.StructBlock):
    role = blocks.CharBlock(max_length=120, label=_("Role"), help_text=_("For example: Direction"))
    names = blocks.CharBlock(max_length=250, label=_("Names"))

    class Meta:
        icon = "group"
        label = _("Credit")


class BodyBlock(blocks.StreamBlock):
    """The body of home, content and show pages."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, icon="pilcrow", label=_("Paragraph")
    )
    image = CaptionedImageBlock()
    quote = QuoteBlock()
    embed = EmbedBlock(
        icon="media",
        label=_("Video or audio"),
        help_text=_("A YouTube, Vimeo or SoundCloud address."),
        template="website/blocks/embed.html",
    )
    call_to_action = CallToActionBlock()
    people = blocks.ListBlock(
        PersonBlock(), icon="group", label=_("People"), template="website/blocks/people.html"
    )
