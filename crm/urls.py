from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from desk import money_views, report_views, search_views, settings_views
from desk import views as desk_views
from guest import inquiry_views
from kernel import views
from kernel.forms import EmailLoginForm

urlpatterns = [
    path("", desk_views.today, name="today"),
    path("today/counts/", desk_views.today_counts, name="today_counts"),
    path("signup/", views.signup, name="signup"),
    path("studio/new/", views.create_studio, name="studio_create"),
    path("reports/", report_views.reports_page, name="reports"),
    path("reports/<slug:kind>.csv", report_views.reports_csv, name="reports_csv"),
    path("reports/money/", money_views.money_report, name="money_report"),
    path("reports/money/csv/", money_views.money_report_csv, name="money_report_csv"),
    path("search/", search_views.search_page, name="search"),
    path("settings/", settings_views.studio_settings, name="settings"),
    path("settings/members/add/", settings_views.add_member, name="member_add"),
    path("settings/members/<int:pk>/remove/", settings_views.remove_member, name="member_remove"),
    path("settings/invitations/<int:pk>/cancel/", settings_views.cancel_invitation, name="invitation_cancel"),
    path("invitations/<str:token>/", settings_views.invitation, name="invitation"),
    path("settings/templates/", include("comms.template_urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("clients/", include("desk.client_urls")),
    path("inquiry/", include((inquiry_views.urlpatterns, "inquiry"))),
    path("survey/", include("guest.survey_urls")),
    path("projects/", include("projects.urls")),
    path("portal/", include("guest.portal_urls")),
    path("portal-access/", include("projects.portal_manage_urls")),
    path("calls/", include("projects.call_urls")),
    path("files/", include("files.urls")),
    path("billing/", include("billing.urls")),
    path("calendar/", include("projects.feed_urls")),
    path("comms/", include("comms.urls")),
    path("hooks/stripe/", include("billing.stripe_urls")),
    path("hooks/", include("comms.webhook_urls")),
    path("settings/mail/", include("comms.source_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
