"""Customer value. `CustomerValue` is the one per-person summary that segments, triage and SLA policies read: it
is derived from orders and the loyalty ledger (and refreshed when they change), never edited by hand."""

from __future__ import annotations

from django.db import models

from rapport.core.models import WorkspaceScoped


class CustomerValue(WorkspaceScoped):
    """What a person's purchases say: counts and spend, RFM, the fitted value models' predictions, loyalty state."""

    person = models.OneToOneField("contacts.Person", on_delete=models.CASCADE, related_name="value")
    orders = models.PositiveIntegerField(default=0)
    total_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    rfm_r = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Recency quintile, 5 = most recent")
    rfm_f = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Frequency quintile, 5 = most often")
    rfm_m = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Monetary quintile, 5 = highest spend")
    rfm_segment = models.CharField(max_length=32, blank=True)
    p_alive = models.FloatField(null=True, blank=True)
    expected_purchases_90d = models.FloatField(null=True, blank=True)
    clv_12m = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    tier = models.CharField(max_length=64, blank=True)
    points_balance = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "clv_12m"], name="value_ws_clv_idx"),
            models.Index(fields=["workspace", "last_order_at"], name="value_ws_last_idx"),
            models.Index(fields=["workspace", "rfm_segment"], name="value_ws_rfm_idx"),
        ]

    def __str__(self) -> str:
        return f"value of {self.person_id}"


class Partner(WorkspaceScoped):
    """A coalition partner: points earned at one partner may be spent at another, and are settled between them."""

    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    point_value = models.DecimalField(
        max_digits=10, decimal_places=4, default=0.01, help_text="What one point is worth in settlement"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "code"], name="partner_ws_code_uniq")]

    def __str__(self) -> str:
        return self.name


class Store(WorkspaceScoped):
    """Where an order was placed: a shop, a web store, an app, or a partner's till."""

    class Kind(models.TextChoices):
        STORE = "store", "Store"
        WEB = "web", "Web shop"
        APP = "app", "App"
        PARTNER = "partner", "Partner"

    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STORE)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="stores")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "code"], name="store_ws_code_uniq")]

    def __str__(self) -> str:
        return self.name or self.code


class Product(WorkspaceScoped):
    """An article sold: the category is a path such as "Food > Dairy > Milk" (its hierarchy)."""

    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=300, blank=True, help_text='A path, levels separated by " > "')
    brand = models.CharField(max_length=200, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "sku"], name="product_ws_sku_uniq")]
        indexes = [models.Index(fields=["workspace", "category"], name="product_ws_cat_idx")]

    def __str__(self) -> str:
        return self.name or self.sku

    @property
    def categories(self) -> list[str]:
        """The category path from the top, e.g. ["Food", "Dairy", "Milk"]."""
        return [c.strip() for c in self.category.split(">") if c.strip()]


class Order(WorkspaceScoped):
    """One purchase, unique per (workspace, source, order id); linked to its person, or waiting for review."""

    source = models.CharField(max_length=64, default="import", help_text="The system the order came from")
    order_id = models.CharField(max_length=100)
    person = models.ForeignKey(
        "contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # How the order named its customer: kept so an unmatched order can be linked later (never dropped).
    customer_ref = models.JSONField(default=dict, blank=True)
    ordered_at = models.DateTimeField()
    currency = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="Sum of the lines")
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    returned = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="Refunded by returns")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    channel = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "source", "order_id"], name="order_ws_src_id_uniq")]
        indexes = [
            models.Index(fields=["workspace", "person", "ordered_at"], name="order_ws_person_idx"),
            models.Index(fields=["workspace", "ordered_at", "id"], name="order_ws_time_idx"),
        ]

    def __str__(self) -> str:
        return f"order {self.source}:{self.order_id}"

    @property
    def net(self):
        return self.total - self.returned


class OrderLine(models.Model):
    """One line of an order: `amount` is the line total after its discount."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="lines")
    sku = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=3, default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["product"], name="orderline_product_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name or self.sku}"


class Return(WorkspaceScoped):
    """Goods brought back: the refund lowers the order's net value (and so the person's spend)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="returns")
    returned_at = models.DateTimeField()
    quantity = models.DecimalField(max_digits=12, decimal_places=3, default=1)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"return of {self.amount} on {self.order_id}"


class ValueModel(WorkspaceScoped):
    """One fit of the value models for a workspace: BG/NBD and Gamma-Gamma parameters, and the RFM breakpoints."""

    fitted_at = models.DateTimeField(auto_now_add=True)
    period = models.CharField(max_length=8, default="week")
    until = models.DateField()
    customers = models.PositiveIntegerField(default=0)
    bgnbd = models.JSONField(null=True, blank=True)
    gamma_gamma = models.JSONField(null=True, blank=True)
    rfm_breaks = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-fitted_at"], name="valuemodel_ws_idx")]

    def __str__(self) -> str:
        return f"value model of {self.workspace_id} at {self.fitted_at:%Y-%m-%d %H:%M}"


# Loyalty


class Programme(WorkspaceScoped):
    """A loyalty programme: how points are earned, how long they live, and the tiers it awards."""

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, blank=True)
    points_per_unit = models.DecimalField(
        max_digits=8, decimal_places=3, default=1, help_text="Points per currency unit spent"
    )
    expiry_days = models.PositiveIntegerField(null=True, blank=True, help_text="Points expire this long after earning")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class EarnRule(models.Model):
    """Extra earning: a multiplier or bonus for a category, a campaign window, or purchases at a partner."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=300, blank=True, help_text="Lines in this category (or below it)")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    multiplier = models.DecimalField(max_digits=6, decimal_places=3, default=1)
    bonus_points = models.IntegerField(default=0, help_text="Flat points per qualifying order")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    """A status level: reached by qualifying points earned within the period (the senator's gold card)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=64)
    rank = models.PositiveSmallIntegerField(help_text="Higher is better")
    qualifying_points = models.PositiveIntegerField(default=0)
    period_days = models.PositiveIntegerField(default=365)

    class Meta:
        ordering = ["-rank"]
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="tier_prog_name_uniq")]

    def __str__(self) -> str:
        return self.name


class Membership(WorkspaceScoped):
    """A person in a programme: their card number and current tier (held until `tier_until`, or granted by hand)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="memberships")
    card_number = models.CharField(max_length=64, blank=True)
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    tier_until = models.DateTimeField(null=True, blank=True)
    tier_reason = models.CharField(max_length=200, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "person"], name="membership_prog_person_uniq")]
        indexes = [models.Index(fields=["workspace", "card_number"], name="membership_ws_card_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.programme_id}"


class PointsEntry(WorkspaceScoped):
    """One line of the append-only points ledger; a balance is the sum of its person's lines, never stored alone.

    Earned lines carry their expiry; an expiry line removes what of the oldest earned points was not yet spent."""

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        REDEEM = "redeem", "Redeemed"
        EXPIRE = "expire", "Expired"
        ADJUST = "adjust", "Adjusted"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="ledger")
    person = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="points")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    points = models.BigIntegerField(help_text="Positive for earned, negative for spent or expired")
    occurred_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="points")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="points")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["programme", "person", "occurred_at"], name="points_prog_person_idx"),
            models.Index(fields=["workspace", "partner", "occurred_at"], name="points_ws_partner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="earn", points__gte=0) | ~models.Q(kind="earn")), name="points_earn_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["redeem", "expire"], points__lte=0) | ~models.Q(kind__in=["redeem", "expire"])
                ),
                name="points_spend_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points}"


class Voucher(WorkspaceScoped):
    """A voucher or coupon with a single-use code: redeemed once, by one conditional update (never twice)."""

    code = models.CharField(max_length=64)
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="vouchers")
    person = models.ForeignKey(
        "contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="vouchers"
    )
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    points_cost = models.PositiveIntegerField(default=0, help_text="Points spent to get it (0: given)")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="vouchers")
    redeemed_partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "code"], name="voucher_ws_code_uniq")]

    def __str__(self) -> str:
        return self.code


class OrderWebhook(WorkspaceScoped):
    """An inbound order feed: a shop posts each order to /commerce/webhooks/<key>, signed with the secret."""

    class Format(models.TextChoices):
        GENERIC = "generic", "Rapport (X-Rapport-Signature)"
        SHOPIFY = "shopify", "Shopify (X-Shopify-Hmac-Sha256)"
        WOOCOMMERCE = "woocommerce", "WooCommerce (X-WC-Webhook-Signature)"

    key = models.CharField(max_length=64, unique=True)
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.GENERIC)
    source = models.CharField(max_length=64, help_text="The orders' source, part of their idempotency key")
    secret = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.format} feed {self.source}"
