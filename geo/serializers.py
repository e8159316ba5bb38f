from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.models import Area, Block, Membership, Role
from geo.services import MEMBERS_AT_ONCE


class AreaSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    block_count = serializers.IntegerField(read_only=True)
    walk_count = serializers.IntegerField(read_only=True)
    observation_count = serializers.IntegerField(read_only=True)
    crime_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Area
        fields = [
            "slug",
            "name",
            "analysis_srid",
            "default_language",
            "published",
            "role",
            "block_count",
            "walk_count",
            "observation_count",
            "crime_count",
            "extent",
        ]

    extent = serializers.SerializerMethodField()

    def get_role(self, area) -> str | None:
        return self.context["roles"].get(area.pk)

    def get_extent(self, area) -> list[float] | None:
        return list(area.boundary.extent) if area.boundary else None


class BlockSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Block
        geo_field = "geom"
        id_field = "code"
        fields = ["code", "name", "population"]


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.SlugRelatedField(
        source="user", slug_field="username", queryset=get_user_model().objects.all()
    )
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "created_at"]
        read_only_fields = ["id", "created_at"]


class MemberAddSerializer(serializers.Serializer):
    """Who to add with which role; with `password`, a new account is created for someone who has
    none (a resident joining a walk). An existing account's password is never set here."""

    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(required=False, write_only=True, trim_whitespace=False)

    def validate(self, data):
        password = data.get("password")
        if password and get_user_model().objects.filter(username=data["username"]).exists():
            raise serializers.ValidationError(
                {
                    "password": _(
                        "There is already an account with that name; leave the password out."
                    )
                }
            )
        return data


class MembersAddSerializer(serializers.Serializer):
    """Several people at once with one role (geo.services.members_add): accounts that exist are
    added by name, the others made with a first password each, answered this once."""

    usernames = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=1, max_length=MEMBERS_AT_ONCE
    )
    role = serializers.ChoiceField(choices=Role.choices)


class MemberAddedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="membership.id")
    username = serializers.CharField(source="membership.user.username")
    role = serializers.CharField(source="membership.role")
    first_password = serializers.CharField(
        source="password", allow_null=True, help_text="Only for an account made now; shown once."
    )
    already = serializers.BooleanField(
        help_text="A member of the area already, whose role was kept."
    )
