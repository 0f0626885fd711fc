"""Each role's home page: its scope named, its figures counted within it."""

from django.urls import reverse


def test_each_role_lands_on_its_home_page_with_its_scope(client, clinic_user, police_user, ministry_user,
                                                         two_doses):
    for user, expected in [(clinic_user, "Trạm Y tế Hoàn Kiếm"), (police_user, "Hoàn Kiếm"),
                           (ministry_user, "Whole country")]:
        client.force_login(user)
        response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert f'data-role="{user.profile.role}"' in response.content.decode()
        assert expected in response.content.decode()


def test_the_home_page_counts_only_what_is_in_scope(client, other_clinic_user, two_doses):
    client.force_login(other_clinic_user)
    response = client.get(reverse("home"))
    assert response.context["citizen_count"] == 1
    assert response.context["facility_count"] == 1


def _menu(client, user) -> list[str]:
    client.force_login(user)
    return [item["name"] for item in client.get(reverse("home")).context["nav_items"]]


def test_each_role_gets_the_menu_of_its_role_and_no_other(client, clinic_user, police_user, provincial_user,
                                                         ministry_user):
    assert _menu(client, clinic_user) == ["home", "verification:queue", "verification:import_upload",
                                          "verification:review_queue", "api:keys"]
    assert _menu(client, police_user) == ["home", "verification:police_queue", "verification:police_report"]
    assert _menu(client, provincial_user) == ["home", "api:keys", "verification:police_report",
                                              "signing:batch", "signing:signed", "certificates:bulk",
                                              "reports:dashboard", "reports:daily", "reports:export"]
    assert _menu(client, ministry_user) == ["home", "api:keys", "verification:police_report",
                                            "reports:dashboard", "reports:daily", "reports:export"]


def test_the_menu_is_shown_as_links_with_their_labels(client, police_user):
    client.force_login(police_user)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name, label in (("home", "Home"), ("verification:police_queue", "Verification queue")):
        assert f'<a href="{reverse(name)}"' in page and f">{label}</a>" in page
    assert page.count(f'<a href="{reverse("verification:police_queue")}"') == 2  # the bar and the home list
