from django.urls import path

from geo import views

urlpatterns = [
    path("areas/", views.AreaList.as_view(), name="area-list"),
    path("areas/<slug:slug>/blocks/", views.BlockList.as_view(), name="block-list"),
    path("areas/<slug:slug>/members/", views.MemberList.as_view(), name="member-list"),
    path("areas/<slug:slug>/members/<int:pk>/", views.MemberDetail.as_view(), name="member-detail"),
    path("areas/<slug:slug>/members/many/", views.MembersAdd.as_view(), name="members-add"),
]
