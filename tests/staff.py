"""Staff users for admin tests, and the Wagtail admin's main menu as the browser reads it."""

import json

from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User


def staff(group_name):
    """A user in one of the staff groups the migrations create ("nobody": in no group)."""
    user = User.objects.create_user(username=group_name.lower().replace(" ", "-"), password="x")
    if group_name != "nobody":
        user.groups.add(Group.objects.get(name=group_name))
    return user


def _value(item):
    return item["_val"] if isinstance(item, dict) and "_val" in item else item


def main_menu_names(response):
    props = BeautifulSoup(response.content, "html.parser").find(id="wagtail-sidebar-props")
    modules = json.loads(props.string)["modules"]
    menu = next(m for m in modules if m["_type"] == "wagtail.sidebar.MainMenuModule")
    return [_value(item["_args"][0]["name"]) for item in menu["_args"][0]]
